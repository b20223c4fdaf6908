// Run by vitest-wrapper.test.ts in a child vitest: a backend that ignores unknown options and
// lacks hardware(), so the wrapper must report a failure, a skip and passes.
import { describeBackendConformance } from '../../src/vitest.js';
import { makeDoubler } from '../doubler.js';
import { doublerFixtures } from './fixtures.js';

const { hardware: _, ...backend } = makeDoubler(new Set(['ignores-unknown-options']));
describeBackendConformance(backend, doublerFixtures, { title: 'broken doubler' });
