/**
 * The contracts at the bottom of the house: plain data that flows from the host probe and the caller
 * through the planners to the launch, and the one error a planner throws. Imports only permissions/
 * and path-uri/; everything above may import it.
 */
export type * from './host-facts.js';
export type * from './launch-request.js';
export * from './limits.js';
export * from './plan-error.js';
export * from './proc-masks.js';
export type * from './windows-plan.js';
export type * from './refusals.js';
