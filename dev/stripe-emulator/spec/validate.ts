import { invalidParam } from '../core/errors.js';
import type { FormObject } from '../http/form.js';
import type { OperationContract } from './generate-operations.js';

/** Rejects unknown and missing top-level parameters, as Stripe does, before an endpoint runs. */
export function validateParams(contract: OperationContract, params: FormObject): void {
  const unknown = Object.keys(params).filter((name) => !contract.params.includes(name));
  if (unknown.length === 1) {
    throw invalidParam(unknown[0], `Received unknown parameter: ${unknown[0]}`, 'parameter_unknown');
  }
  if (unknown.length > 1) {
    throw invalidParam(unknown[0], `Received unknown parameters: ${unknown.join(', ')}`, 'parameter_unknown');
  }
  const missing = contract.required.find((name) => params[name] === undefined || params[name] === '');
  if (missing !== undefined) throw invalidParam(missing, `Missing required param: ${missing}.`, 'parameter_missing');
}
