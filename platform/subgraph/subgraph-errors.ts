import { NotFoundError, UniqueConstraintViolationException } from '@mikro-orm/core';
import { ArgumentValidationError } from 'type-graphql';
import { ErrorCode, type LowerLayerErrorMapper } from '../errors.js';

/** What subgraphs' lower layers throw (class-validator through type-graphql, MikroORM), as client errors. */
export const subgraphLowerLayerErrors: LowerLayerErrorMapper = (original) => {
  if (original instanceof ArgumentValidationError) {
    const problems = original.extensions.validationErrors as ValidationProblem[];
    const messages = problems.flatMap((p) => messagesOf(p, ''));
    return {
      message: `Invalid input: ${messages.join('; ') || 'argument validation failed'}.`,
      extensions: { code: ErrorCode.BAD_USER_INPUT, fields: problems.map((p) => p.property) },
    };
  }
  if (original instanceof NotFoundError) {
    return { message: 'The requested object was not found.', extensions: { code: ErrorCode.NOT_FOUND } };
  }
  if (original instanceof UniqueConstraintViolationException) {
    return { message: 'This conflicts with an existing object.', extensions: { code: ErrorCode.CONFLICT } };
  }
  return undefined;
};

interface ValidationProblem {
  property: string;
  constraints?: Record<string, string>;
  children?: ValidationProblem[];
}

/** Messages of a validation error and its nested ones, each named by its path ("location.latitude must …"). */
function messagesOf(problem: ValidationProblem, parent: string): string[] {
  const path = parent
    ? /^\d+$/.test(problem.property)
      ? `${parent}[${problem.property}]`
      : `${parent}.${problem.property}`
    : problem.property;
  // class-validator starts each message with the property name; replace it with the full path.
  const own = Object.values(problem.constraints ?? {}).map((message) =>
    parent && message.startsWith(problem.property) ? path + message.slice(problem.property.length) : message,
  );
  return [...own, ...(problem.children ?? []).flatMap((child) => messagesOf(child, path))];
}
