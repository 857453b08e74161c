/**
 * How long one API request of the built-in flows may take, its answer read to the end. GitHub and Google answer
 * them in a second or two; without a bound of its own, a request whose answer trickled in and never ended held
 * its task until the task's timeout, which then said TimedOut without naming the request. Well inside the tasks'
 * timeouts (60 s and more), so the error naming the request comes first and the task's retries have time to run.
 */
export const REQUEST_TIMEOUT_SECONDS = 30;

/** How the clients bound a request: the engine's, shared with notice POSTs. */
export { requestDeadline, type RequestDeadline } from '../engine/requestDeadline';
