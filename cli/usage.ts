/**
 * The usage answer of rollgate's standalone commands (`rollgate local`,
 * `npm run validate`): their argument parsers answer what to run, `help`, or
 * a problem naming the flag, and this turns the last two into output and an
 * exit status the same way for each.
 */

/** What a command's argument parser answers: what to run, `'help'`, or a usage problem naming the flag. */
export type ParsedArgs<T extends object> = T | 'help' | { readonly usage: string };

/**
 * `help`: the usage on stdout, exit status 0; a usage problem: the problem,
 * then the usage, on stderr, exit status 2; else the arguments to run with.
 */
export function usageAnswer<T extends object>(args: ParsedArgs<T>, usage: string, out: NodeJS.WritableStream, err: NodeJS.WritableStream): number | T {
  if (args === 'help') {
    out.write(`${usage}\n`);
    return 0;
  }
  if ('usage' in args) {
    err.write(`${args.usage}\n\n${usage}\n`);
    return 2;
  }
  return args;
}
