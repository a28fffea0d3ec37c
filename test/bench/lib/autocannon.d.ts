// The slice of autocannon 8's programmatic API the load process uses (it ships no types).
declare module 'autocannon' {
  export interface RequestSpec {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
  }
  export interface Options extends RequestSpec {
    url: string;
    connections?: number;
    duration?: number;
    timeout?: number;
    requests?: Array<RequestSpec & { setupRequest?: (request: RequestSpec) => RequestSpec }>;
  }
  export interface Histogram {
    p50: number;
    p99: number;
    average: number;
    total: number;
  }
  export interface Result {
    duration: number;
    latency: Histogram;
    requests: Histogram;
    throughput: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
