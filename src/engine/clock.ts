/** The time the engine reads. Tests pass their own, so expiry and schedules are checked without waiting. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
