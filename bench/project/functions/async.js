// An async handler that awaits a 1 ms timer, as handlers awaiting an API call do.
exports.handler = async (context, event, callback) => {
  await new Promise((resolve) => setTimeout(resolve, 1));
  callback(null, { ok: true, waited: 1 });
};
