/**
 * A bench worker process: receives { id, module, fn, args } over IPC, runs the named export of the bench module,
 * and answers { id, ok, value | error }. Exits when its parent disconnects.
 */
const modules = new Map();

process.on('message', async (msg) => {
  try {
    let mod = modules.get(msg.module);
    if (!mod) {
      mod = await import(new URL(`../${msg.module}`, import.meta.url).href);
      modules.set(msg.module, mod);
    }
    if (typeof mod[msg.fn] !== 'function') throw new Error(`bench/${msg.module} has no export ${msg.fn}`);
    const value = await mod[msg.fn](msg.args);
    process.send({ id: msg.id, ok: true, value });
  } catch (error) {
    process.send({ id: msg.id, ok: false, error: String(error?.message ?? error), stack: error?.stack });
  }
});

process.on('disconnect', () => process.exit(0));
