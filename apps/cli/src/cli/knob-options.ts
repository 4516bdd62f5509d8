/**
 * The knob table as commander options: one flag per knob, grouped in help as the table groups them. The
 * options carry no parser and no default, so that what the user typed reaches the config resolver as typed
 * (one place checks values and words the messages) and a knob left out is told apart from one set to its default.
 */
import { type Command, Option } from 'commander';
import { readConfigFile } from '../config/files.js';
import { KNOBS, type KnobKey } from '../config/knobs.js';
import {
  type ConfigInput,
  EMPTY_INPUT,
  inputFromFlags,
  inputFromObject,
  mergeInputs,
  type Resolved,
  resolveConfig,
} from '../config/resolve.js';

const HEADINGS: Record<string, string> = {
  optimizer: 'Optimizer:',
  schedule: 'Learning-rate schedule:',
  training: 'Training:',
  'model and data': 'Model and data:',
};

export function addKnobOptions(command: Command, except: readonly KnobKey[] = []): Command {
  for (const knob of KNOBS) {
    if (except.includes(knob.key)) continue;
    const choices = knob.choices !== undefined ? ` (${knob.choices.join(', ')})` : '';
    const heading = HEADINGS[knob.group] as string;
    if (knob.negatable) {
      command.addOption(new Option(`--no-${knob.flag}`, knob.help).helpGroup(heading));
      continue;
    }
    command.addOption(
      new Option(`--${knob.flag}${knob.arg !== undefined ? ` ${knob.arg}` : ''}`, `${knob.help}${choices}`).helpGroup(
        heading,
      ),
    );
    // A switch that defaults to on (staircase, relativeStep) can be turned off.
    if (knob.offHelp !== undefined) command.addOption(new Option(`--no-${knob.flag}`, knob.offHelp).helpGroup(heading));
  }
  return command;
}

/** The knobs the user typed on this command line, checked. */
export function knobInput(command: Command): ConfigInput {
  const given: Partial<Record<KnobKey, unknown>> = {};
  const options = command.opts() as Record<string, unknown>;
  for (const knob of KNOBS) {
    if (command.getOptionValueSource(knob.key) !== 'cli') continue;
    given[knob.key] = options[knob.key];
  }
  return inputFromFlags(given);
}

/** Knobs from `--config FILE` with the flags on top, resolved (`opt train`, `opt lr-find`). */
export function configFromCommand(command: Command, file: string | undefined): Resolved {
  let input: ConfigInput = EMPTY_INPUT;
  if (file !== undefined) input = inputFromObject(readConfigFile(file, '--config'), file);
  return resolveConfig(mergeInputs(input, knobInput(command)));
}

/** A command that takes every knob: its knob flags, its examples after the help, and its action's exit code. */
export function withKnobs<Flags>(
  command: Command,
  examples: string,
  run: (flags: Flags, command: Command) => Promise<number>,
): void {
  addKnobOptions(command);
  command.addHelpText('after', examples);
  command.action(async (flags: Flags, cmd: Command) => {
    process.exitCode = await run(flags, cmd);
  });
}
