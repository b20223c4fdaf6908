/**
 * Prometheus metrics for `wacs serve --metrics-port`: requests by route and status, latency,
 * queue depth, instances by state, model load time. Served on a port of their own, so scraping
 * never queues behind guest requests and the guest's routes stay the guest's.
 */
import { createServer, type Server } from 'node:http';
import type { AccessRecord, ServeHandler } from '@wacs/core';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ServeMetrics {
  registry: Registry;
  onRequest(record: AccessRecord): void;
  onModelLoaded(name: string, ms: number): void;
  /** Instance and queue gauges read the handler's stats at scrape time. */
  watch(handler: ServeHandler): void;
}

export function serveMetrics(): ServeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wacs_' });
  const requests = new Counter({
    name: 'wacs_http_requests_total',
    help: 'HTTP requests answered, by method, route, status and outcome (trap, timeout, queue-full, …; ok otherwise)',
    labelNames: ['method', 'route', 'status', 'outcome'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'wacs_http_request_duration_seconds',
    help: 'Time from a request arriving to its response ending',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const modelLoad = new Gauge({ name: 'wacs_model_load_seconds', help: 'Time each registered model took to load at start-up', labelNames: ['model'] as const, registers: [registry] });
  let stats: ServeHandler['stats'] | undefined;
  new Gauge({
    name: 'wacs_queue_depth',
    help: 'Requests waiting for a guest instance',
    registers: [registry],
    collect() {
      if (stats) this.set(stats().queued);
    },
  });
  new Gauge({
    name: 'wacs_instances',
    help: 'Guest instances by state: busy (serving), ready (pre-instantiated, idle), preparing (instantiating)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      if (!stats) return;
      const now = stats();
      this.set({ state: 'busy' }, now.busy);
      this.set({ state: 'ready' }, now.ready);
      this.set({ state: 'preparing' }, now.preparing);
    },
  });
  return {
    registry,
    onRequest(record) {
      // Unmatched paths would grow the label set without bound: they count under one route.
      const route = record.status === 404 ? '(unmatched)' : record.path;
      requests.inc({ method: record.method, route, status: String(record.status), outcome: record.outcome ?? 'ok' });
      latency.observe({ method: record.method, route }, record.ms / 1000);
    },
    onModelLoaded(name, ms) {
      modelLoad.set({ model: name }, ms / 1000);
    },
    watch(handler) {
      stats = handler.stats;
    },
  };
}

/** Serves the registry's text format on GET /metrics. */
export function startMetricsServer(metrics: ServeMetrics, port: number, hostname: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at /metrics\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e.message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => resolve(server));
  });
}
