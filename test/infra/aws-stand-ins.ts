/**
 * Local stand-ins for the AWS APIs the bundles call, for tests that run a
 * built bundle in its own process: each is an HTTP server on loopback that
 * answers in the API's own protocol, so the bundled SDK clients (pointed at
 * it with `AWS_ENDPOINT_URL_<SERVICE>`) parse its answers as AWS's, and that
 * records every request it received.
 *
 * - JSON protocols (Step Functions, ECS, Secrets Manager): the operation is
 *   the `x-amz-target` header's suffix; errors are `{ "__type", "message" }`
 *   with status 400.
 *   https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html
 * - The Query protocol with XML answers (Elastic Load Balancing v2): the
 *   operation is the `Action` form field.
 *   https://smithy.io/2.0/aws/protocols/aws-query-protocol.html
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from '../../local/loopback-server.js';

/** A request a stand-in received. */
export interface Received<I> {
  readonly operation: string;
  readonly input: I;
}

/** A running stand-in. */
export interface StandIn<I> {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_<SERVICE>`. */
  readonly endpoint: string;
  /** Every request so far, in order. */
  readonly received: Received<I>[];
  close(): Promise<void>;
}

/** An error the stand-in answers with, as the API would. */
export class AwsApiError extends Error {
  public constructor(
    public readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'AwsApiError';
  }
}

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

async function listen<I>(answer: (req: IncomingMessage, body: string, received: Received<I>[]) => Answer): Promise<StandIn<I>> {
  const received: Received<I>[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const { status, contentType, body: out } = answer(req, body, received);
      res.statusCode = status;
      res.setHeader('content-type', contentType);
      res.end(out);
    });
  });
  const port = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${String(port)}`,
    received,
    close: () => closeServer(server),
  };
}

/** One operation of a JSON API: its answer to an input, or an {@link AwsApiError}. */
export type JsonOperation = (input: Record<string, unknown>) => unknown;

/** A stand-in for a JSON-protocol API (`contentType` `application/x-amz-json-1.0` or `1.1`) serving `operations`. */
export function jsonApiStandIn(contentType: string, operations: Readonly<Record<string, JsonOperation>>): Promise<StandIn<Record<string, unknown>>> {
  return listen<Record<string, unknown>>((req, body, received) => {
    const operation = String(req.headers['x-amz-target']).split('.').pop() ?? '';
    const input = JSON.parse(body === '' ? '{}' : body) as Record<string, unknown>;
    received.push({ operation, input });
    const run = operations[operation];
    try {
      if (run === undefined) throw new AwsApiError('UnknownOperationException', `the stand-in does not serve ${operation}`);
      return { status: 200, contentType, body: JSON.stringify(run(input) ?? {}) };
    } catch (error) {
      if (!(error instanceof AwsApiError)) throw error;
      return { status: 400, contentType, body: JSON.stringify({ __type: error.type, message: error.message }) };
    }
  });
}

/** A forward action's target groups, as a listener holds them. */
export type Forward = readonly { readonly targetGroupArn: string; readonly weight: number }[];

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function listenerXml(listenerArn: string, forward: Forward): string {
  const groups = forward
    .map((g) => `<member><TargetGroupArn>${escapeXml(g.targetGroupArn)}</TargetGroupArn><Weight>${String(g.weight)}</Weight></member>`)
    .join('');
  return `<Listeners><member><ListenerArn>${escapeXml(listenerArn)}</ListenerArn><DefaultActions><member><Type>forward</Type><ForwardConfig><TargetGroups>${groups}</TargetGroups></ForwardConfig></member></DefaultActions></member></Listeners>`;
}

/** The forward action a ModifyListener request writes (`DefaultActions.member.1.ForwardConfig.TargetGroups.member.N.*`). */
export function forwardOf(params: URLSearchParams): Forward {
  const prefix = 'DefaultActions.member.1.ForwardConfig.TargetGroups.member.';
  const groups: { targetGroupArn: string; weight: number }[] = [];
  for (let n = 1; params.has(`${prefix}${String(n)}.TargetGroupArn`); n++) {
    groups.push({ targetGroupArn: params.get(`${prefix}${String(n)}.TargetGroupArn`) ?? '', weight: Number(params.get(`${prefix}${String(n)}.Weight`)) });
  }
  return groups;
}

/**
 * A stand-in for the listeners of Elastic Load Balancing v2: each listener's
 * default action is one forward, as `listeners` starts them; ModifyListener
 * replaces it and DescribeListeners reads it back. DescribeTargetHealth finds
 * one healthy target in any target group.
 */
export function elbListenersStandIn(listeners: Map<string, Forward>): Promise<StandIn<URLSearchParams>> {
  return listen<URLSearchParams>((_req, body, received) => {
    const params = new URLSearchParams(body);
    const operation = params.get('Action') ?? '';
    received.push({ operation, input: params });
    const xml = (inner: string) => ({
      status: 200,
      contentType: 'text/xml',
      body: `<${operation}Response xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><${operation}Result>${inner}</${operation}Result><ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></${operation}Response>`,
    });
    // A rollback checks the fleet it restores still serves: every target group has one healthy target here.
    if (operation === 'DescribeTargetHealth') {
      return xml('<TargetHealthDescriptions><member><Target><Id>10.0.0.1</Id><Port>8080</Port></Target><TargetHealth><State>healthy</State></TargetHealth></member></TargetHealthDescriptions>');
    }
    const listenerArn = params.get(operation === 'DescribeListeners' ? 'ListenerArns.member.1' : 'ListenerArn') ?? '';
    const forward = listeners.get(listenerArn);
    if (forward === undefined || (operation !== 'DescribeListeners' && operation !== 'ModifyListener')) {
      return {
        status: 400,
        contentType: 'text/xml',
        body: `<ErrorResponse><Error><Type>Sender</Type><Code>ListenerNotFound</Code><Message>${escapeXml(`${operation} ${listenerArn}`)}</Message></Error><RequestId>stand-in</RequestId></ErrorResponse>`,
      };
    }
    if (operation === 'ModifyListener') listeners.set(listenerArn, forwardOf(params));
    return xml(listenerXml(listenerArn, listeners.get(listenerArn) ?? forward));
  });
}
