/** Which backend took which model: a backend wrapped so that each load is reported before it runs. */
import type { Backend, LoadRequest } from '@wacs/core/backend';
import type { LoadReport } from './messages.js';

export function reportingLoads(backend: Backend, report: (load: LoadReport) => void): Backend {
  return {
    ...backend,
    load: (request: LoadRequest) => {
      report({ backend: backend.name, model: request.name ?? '(bytes from the guest)', target: request.target });
      return backend.load(request);
    },
  };
}
