/** An answer other than the page asked for: a status and a message safe to show the user. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra lines shown under the message (the form errors, for instance). */
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = 'Problem';
  }
}
