/** Every check of the kit by id, gathered from the group files (the order they run in is CHECK_IDS). */
import type { CheckId } from '../types.js';
import { computeChecks } from './compute.js';
import { detectChecks } from './detect.js';
import { disposeChecks } from './dispose.js';
import type { Check } from './harness.js';
import { inThreadChecks } from './in-thread.js';
import { loadChecks } from './load.js';
import { shapeChecks } from './shape.js';
import { streamChecks } from './stream.js';

export const CHECKS: Record<CheckId, Check> = {
  ...shapeChecks,
  ...detectChecks,
  ...loadChecks,
  ...computeChecks,
  ...streamChecks,
  ...inThreadChecks,
  ...disposeChecks,
};
