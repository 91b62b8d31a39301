/**
 * How many calls one tRPC batch request may name. Each call runs its own verification and logic,
 * and a POST batch is otherwise bounded only by the body limit: one request could start thousands
 * of procedures. tRPC refuses a larger batch with 400 before running any of it.
 */
export const DEFAULT_MAX_BATCH_SIZE = 10;
