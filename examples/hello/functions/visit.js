// GET /visit → counts visits in a cookie and sets response headers with
// Twilio.Response: setCookie, appendHeader (twice → a repeated header).
exports.handler = (context, event, callback) => {
  const visits = parseInt(event.request.cookies.visits || '0', 10) + 1;
  const response = new Twilio.Response();
  response
    .setCookie('visits', String(visits), ['Path=/', 'Max-Age=3600'])
    .appendHeader('Content-Type', 'application/json')
    .appendHeader('X-Served-By', 'ahoy')
    .appendHeader('X-Served-By', 'example')
    .setBody({ visits });
  return callback(null, response);
};
