// A string reply: the smallest Function, one query parameter.
exports.handler = (context, event, callback) => {
  callback(null, 'Hello ' + (event.name || 'World'));
};
