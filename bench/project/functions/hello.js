// The benchmark's Function: reads a header and a cookie, sets both.
exports.handler = (context, event, callback) => {
  const response = new Twilio.Response();
  response.appendHeader('Content-Type', 'application/json');
  response.setCookie('seen', '1', ['Path=/']);
  response.setBody({ hello: event.name || 'world', ua: event.request.headers['user-agent'] || null });
  return callback(null, response);
};
