import Stripe from 'stripe';

export interface RecordedExchange {
  method: string;
  /** path with query string, as sent */
  path: string;
  /** form-encoded body, as sent */
  body: string;
  status: number;
  response: unknown;
}

/**
 * Wraps the SDK's own Node HTTP client to keep every request it sends and every JSON answer it
 * reads, so conformance checks look at what the SDK really put on the wire.
 */
export function recordingHttpClient(exchanges: RecordedExchange[]): Stripe.HttpClient {
  const inner = Stripe.createNodeHttpClient();
  return {
    getClientName: () => 'recording',
    async makeRequest(host, port, path, method, headers, requestData, protocol, timeout) {
      const response = await inner.makeRequest(host, port, path, method, headers, requestData, protocol, timeout);
      const exchange: RecordedExchange = {
        method,
        path,
        body: requestData ?? '',
        status: response.getStatusCode(),
        response: undefined,
      };
      exchanges.push(exchange);
      return {
        getStatusCode: () => response.getStatusCode(),
        getHeaders: () => response.getHeaders(),
        getRawResponse: () => response.getRawResponse(),
        toStream: (done: () => void) => response.toStream(done),
        toJSON: async (): Promise<unknown> => {
          exchange.response = await response.toJSON();
          return exchange.response;
        },
      };
    },
  };
}
