// The conformance kit on the example backend, with the fixtures its package.json names.
import { describeBackendConformance } from '@wacs/backend-testkit/vitest';
import fixtures from '../src/conformance.js';
import backend from '../src/index.js';

describeBackendConformance(backend, fixtures, { title: 'ngram conformance' });
