/**
 * `npm run onboard`: records a service's first stable version in the ledger —
 * the fleet and target group taking its traffic today — so its first release
 * has something to canary against and to roll back to.
 *
 *   npm run onboard -- --table <LedgerTableName output> --service checkout --environment prod \
 *     --version v41 --target-group <arn of the blue group> --fleet ecs-svc/1234567890123456789
 *
 * The service must be in the configuration the stack was deployed with
 * (`--config services.json`, as given to `cdk deploy -c rollgate:config=…`;
 * without it, the checked-in sample). The target group must be one of the
 * service's pair, and the fleet one rollgate may later retire: a task set of
 * its ECS service (`ecs-svc/…`) or an Auto Scaling group named
 * `<groupNamePrefix>-…`. A service already onboarded is refused unless
 * `--replace`; no release may be running either way.
 *
 * Credentials and region come from the usual AWS environment (profile,
 * AWS_REGION, …). Exit status: 0 recorded, 2 bad arguments (the message names
 * the flag), 1 anything else (e.g. a release holds the lock).
 */
import '../local/node-compat.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientConfig } from '../functions/adapters/aws/client-config.js';
import { findService, parseConfig, type RollgateConfig, type ServiceConfig } from '../functions/config.js';
import { versionProblem } from '../functions/domain/version.js';
import { InvalidInputError, RollgateError } from '../functions/errors.js';
import { ledgerDocumentClient } from '../functions/ledger/client.js';
import { DynamoDbLedger } from '../functions/ledger/dynamodb-ledger.js';
import type { Ledger } from '../functions/ports.js';
import type { FleetRef } from '../functions/domain/fleet.js';
import type { Stable } from '../functions/domain/stable.js';
import { SAMPLE_CONFIG } from '../local/sample-config.js';

export const USAGE = `usage: npm run onboard -- --table <name> --service <name> --environment <name> --version <version>
                          --target-group <arn> --fleet <id> [--config <services.json>] [--replace]

  --table         the ledger table (the stack's LedgerTableName output)
  --service       the service, as in the configuration
  --environment   its environment, as in the configuration
  --version       the version running now (ECS: image tag or sha256 digest; Auto Scaling group: launch template version number)
  --target-group  the target group of the pair that takes the traffic now
  --fleet         what serves it: the ECS task set id (ecs-svc/…) or the Auto Scaling group name
  --config        the configuration the stack was deployed with (default: the checked-in sample)
  --replace       overwrite the stable version already recorded (no release may be running)
  --help          this text`;

/** A bad command line or an argument that contradicts the configuration. */
export class OnboardUsageError extends RollgateError {}

/** What to record. */
export interface OnboardRequest {
  readonly tableName: string;
  readonly service: ServiceConfig;
  readonly version: string;
  readonly fleet: FleetRef;
  readonly replace: boolean;
}

const OPERATION = 'npm run onboard';
const usage = (flag: string, problem: string) => new OnboardUsageError(new InvalidInputError(OPERATION, flag, problem).message);

/** ECS task set ids: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskSet.html */
const TASK_SET_ID = /^ecs-svc\/\d{1,32}$/;

/** The arguments, checked against the configuration; every problem names its flag. */
export function parseOnboardArgs(argv: readonly string[], readConfig: (path: string) => unknown = readJson): OnboardRequest | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        table: { type: 'string' },
        service: { type: 'string' },
        environment: { type: 'string' },
        version: { type: 'string' },
        'target-group': { type: 'string' },
        fleet: { type: 'string' },
        config: { type: 'string' },
        replace: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new OnboardUsageError(`${OPERATION}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (values.help === true) return 'help';
  const required = (flag: string): string => {
    const value = values[flag];
    if (typeof value !== 'string' || value.trim() === '') throw usage(`--${flag}`, 'is required');
    return value.trim();
  };
  const tableName = required('table');
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(tableName)) throw usage('--table', `must be a DynamoDB table name (3 to 255 of a-z, A-Z, 0-9, _ - .); got ${JSON.stringify(tableName)}`);
  const configPath = values.config;
  let config: RollgateConfig;
  try {
    config = parseConfig(typeof configPath === 'string' ? readConfig(configPath) : SAMPLE_CONFIG);
  } catch (error) {
    throw usage('--config', error instanceof Error ? error.message : String(error));
  }
  let service: ServiceConfig;
  try {
    service = findService(config, required('service'), required('environment'));
  } catch (error) {
    if (error instanceof OnboardUsageError) throw error;
    throw usage('--service/--environment', error instanceof Error ? error.message : String(error));
  }
  const targetGroup = required('target-group');
  if (!service.traffic.targetGroupArns.includes(targetGroup)) {
    throw usage('--target-group', `must be one of the pair of ${service.service}/${service.environment}: ${service.traffic.targetGroupArns.join(', ')}`);
  }
  const id = required('fleet');
  let fleet: FleetRef;
  if (service.fleet.kind === 'ecs') {
    if (!TASK_SET_ID.test(id)) throw usage('--fleet', `must be a task set id of ECS service ${service.fleet.service} (ecs-svc/…); got ${JSON.stringify(id)}`);
    fleet = { kind: 'ecs-task-set', id, targetGroup };
  } else {
    // The fleets' grants cover groups named <prefix>-*: anything else could never be retired.
    const prefix = `${service.fleet.groupNamePrefix}-`;
    if (!id.startsWith(prefix) || id.length > 255) {
      throw usage('--fleet', `must be an Auto Scaling group named ${prefix}… (rollgate may only retire those); got ${JSON.stringify(id)}`);
    }
    fleet = { kind: 'auto-scaling-group', id, targetGroup };
  }
  required('version');
  // As given, not trimmed: the same rule preflight applies to a release's version (functions/domain/version.ts).
  const version = String(values.version);
  const problem = versionProblem(service.fleet.kind, version);
  if (problem !== undefined) throw usage('--version', problem);
  return { tableName, service, version, fleet, replace: values.replace === true };
}

/** Records the stable version; refuses to overwrite one unless `replace`. */
export async function onboard(ledger: Ledger, request: OnboardRequest): Promise<Stable> {
  const ref = { service: request.service.service, environment: request.service.environment };
  const existing = await ledger.getStable(ref);
  if (existing !== undefined && !request.replace) {
    throw usage(
      '--replace',
      `${ref.service}/${ref.environment} is already onboarded (stable ${existing.version} on ${existing.fleet.id}, since ${existing.updatedAt}); pass --replace to overwrite it`,
    );
  }
  // Refused (LockNotOwnedError) while a release holds the lock.
  return ledger.setStable({ ...ref, version: request.version, fleet: request.fleet });
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(resolve(path), 'utf8'));
}

/** Runs the command; returns its exit status (`rollgate onboard` calls it too). */
export async function main(argv: readonly string[]): Promise<number> {
  let request: OnboardRequest | 'help';
  try {
    request = parseOnboardArgs(argv);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (request === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const ledger = new DynamoDbLedger({ client: ledgerDocumentClient(new DynamoDBClient(awsClientConfig)), tableName: request.tableName });
  try {
    const stable = await onboard(ledger, request);
    process.stderr.write(`${stable.service}/${stable.environment}: stable version ${stable.version} on ${stable.fleet.id} (${stable.fleet.targetGroup})\n`);
    process.stdout.write(`${JSON.stringify(stable, null, 2)}\n`);
    return 0;
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof OnboardUsageError ? 2 : 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
