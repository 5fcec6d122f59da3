/**
 * What a route handler may answer besides a JSON body or nothing: a created
 * resource or a binary body.
 */

/** A created resource: Asterisk answers 201 with a Location header. */
export class Created {
  constructor(
    readonly body: unknown,
    readonly location: string,
  ) {}
}
/** A binary body (a recording file). */
export class Binary {
  constructor(
    readonly body: Buffer,
    readonly contentType: string,
  ) {}
}

