/**
 * Thrown by a construct's constructor when its props are invalid (a malformed CIDR, min > max,
 * a single availability zone, ...). Raised before any resource is created, so a bad config never
 * reaches `terraform plan`.
 */
export class InvalidPropsError extends Error {
  readonly code = 'E_INVALID_PROPS'
  /** The construct class whose props were rejected, e.g. `Network`. */
  readonly construct: string
  /** The offending prop, e.g. `vpcCidr`. */
  readonly prop: string

  constructor(construct: string, prop: string, message: string) {
    super(`${construct}: invalid ${prop}: ${message}`)
    this.name = 'InvalidPropsError'
    this.construct = construct
    this.prop = prop
  }
}
