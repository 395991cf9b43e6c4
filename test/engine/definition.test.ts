import { describe, expect, test } from 'vitest';
import { StateMachineDefinitionError, UnsubstitutedPlaceholderError } from '../../functions/errors.js';
import { LocalStepFunctions } from '../../local/engine/index.js';
import { fixture, functionArn } from './helpers.js';

const noop = () => Promise.resolve({});

function engineWith(...names: string[]): LocalStepFunctions {
  return new LocalStepFunctions({ handlers: Object.fromEntries(names.map((name) => [functionArn(name), noop])) });
}

const chainSubstitutions = {
  IncrementFunctionArn: functionArn('increment'),
  DescribeFunctionArn: functionArn('describe'),
};

describe('creating a state machine from ASL', () => {
  test('substitutes ${...FunctionArn} placeholders everywhere, as definitionSubstitutions do', () => {
    const machine = engineWith('increment', 'describe').createStateMachine({
      name: 'chain',
      definition: fixture('chain.asl.json'),
      substitutions: chainSubstitutions,
    });

    expect(machine.stateMachineArn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:chain');
    const text = JSON.stringify(machine.definition);
    expect(text).toContain(`"Resource":"${functionArn('increment')}"`);
    expect(text).toContain(`"FunctionName":"${functionArn('describe')}"`);
  });

  test('an unsubstituted placeholder fails with an error naming it', () => {
    const create = () =>
      engineWith('increment', 'describe').createStateMachine({
        name: 'chain',
        definition: fixture('chain.asl.json'),
        substitutions: { IncrementFunctionArn: functionArn('increment') },
      });

    expect(create).toThrow(UnsubstitutedPlaceholderError);
    expect(create).toThrow(/no substitution for \$\{DescribeFunctionArn\}/);
  });

  test('every unsubstituted placeholder is named, not only the first', () => {
    try {
      engineWith().createStateMachine({ name: 'chain', definition: fixture('chain.asl.json') });
      expect.unreachable('created a state machine with placeholders left');
    } catch (error) {
      expect(error).toBeInstanceOf(UnsubstitutedPlaceholderError);
      expect((error as UnsubstitutedPlaceholderError).placeholders).toEqual(['DescribeFunctionArn', 'IncrementFunctionArn']);
    }
  });

  test('a Lambda function without a handler fails, naming the state and the function', () => {
    const create = () =>
      engineWith('increment').createStateMachine({
        name: 'chain',
        definition: fixture('chain.asl.json'),
        substitutions: chainSubstitutions,
      });

    expect(create).toThrow(StateMachineDefinitionError);
    expect(create).toThrow(/state "Describe": no handler for Lambda function "describe"/);
  });

  test('a Task resource other than Lambda is refused, naming the state', () => {
    const definition = {
      StartAt: 'Put',
      States: {
        Put: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:putItem',
          Parameters: { TableName: 't', Item: {} },
          End: true,
        },
      },
    };

    expect(() => engineWith().createStateMachine({ name: 'ddb', definition })).toThrow(
      /state "Put": resource arn:aws:states:::dynamodb:putItem is not supported by the local engine/,
    );
  });

  test('a callback task that never passes its task token is refused', () => {
    const definition = {
      StartAt: 'Wait',
      States: {
        Wait: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: functionArn('bake'), Payload: {} },
          End: true,
        },
      },
    };

    expect(() => engineWith('bake').createStateMachine({ name: 'lost-token', definition })).toThrow(
      /state "Wait": a .waitForTaskToken task must pass \$\$.Task.Token in Parameters/,
    );
  });

  test('invalid ASL is refused with the validator\'s reason', () => {
    const definition = { StartAt: 'Nowhere', States: { Here: { Type: 'Succeed' } } };

    expect(() => engineWith().createStateMachine({ name: 'broken', definition })).toThrow(StateMachineDefinitionError);
  });

  test('a missing definition file is reported with its path', () => {
    expect(() => engineWith().createStateMachine({ name: 'missing', definition: '/nonexistent/release.asl.json' })).toThrow(
      /cannot read \/nonexistent\/release.asl.json/,
    );
  });
});
