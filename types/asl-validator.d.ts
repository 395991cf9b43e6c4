// asl-validator ships no type declarations; this is the part of its API the tests use.
declare module 'asl-validator' {
  interface AslValidatorResult {
    readonly isValid: boolean;
    readonly errors: readonly { readonly 'Error code'?: string; readonly Message?: string }[];
  }
  export default function aslValidator(definition: unknown): AslValidatorResult;
}
