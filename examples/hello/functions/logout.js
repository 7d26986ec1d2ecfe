// GET /logout → forgets the visit counter.
exports.handler = (context, event, callback) => {
  const response = new Twilio.Response().removeCookie('visits').setBody('Bye!');
  response.appendHeader('Content-Type', 'text/plain');
  return callback(null, response);
};
