// GET /hello?name=Ada → a plain-text greeting.
exports.handler = (context, event, callback) => {
  const name = event.name || 'world';
  console.log(`greeting ${name}`);
  return callback(null, `${context.GREETING}, ${name}!`);
};
