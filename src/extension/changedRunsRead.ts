/**
 * How many runs a store change (StoreChange: another process's runs created, changed or deleted) may name and
 * still be read run by run, by the Runs view, a run's panel and the failure markers alike. A change naming more
 * — a prune, a burst of runs — is answered by one listing instead (a prune of 500 runs was 500 reads by id).
 */
export const MAX_CHANGED_IDS_READ = 200;
