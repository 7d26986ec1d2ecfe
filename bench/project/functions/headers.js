// Reads request headers and cookies (event.request, runtime-handler >= 1.2.0)
// and answers with a Twilio.Response that sets headers and cookies and a JSON
// body echoing what it read.
exports.handler = (context, event, callback) => {
  const { headers, cookies } = event.request;
  const response = new Twilio.Response();
  response.setHeaders({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  response.appendHeader('X-Bench', 'headers');
  response.setCookie('session', cookies.session || 'new', ['Path=/', 'Max-Age=3600']);
  response.setCookie('visits', '1', ['Path=/']);
  response.removeCookie('theme');
  response.setBody({
    userAgent: headers['user-agent'] || null,
    session: cookies.session || null,
    theme: cookies.theme || null,
  });
  callback(null, response);
};
