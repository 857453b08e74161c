// The least a warm run's worker process does (bench/warmFloor.ts): import a flow module it has not seen
// and say so; then run it and say how it ended. Nothing else: no engine, no records.
process.on('message', (m) => {
  if (m.t === 'load') {
    import(m.url).then(
      () => process.send({ k: 'ready' }),
      (e) => process.send({ k: 'failed', message: String(e) }),
    );
  } else if (m.t === 'start') {
    process.send({ k: 'ended' });
  } else if (m.t === 'ping') {
    process.send({ k: 'pong' });
  }
});
