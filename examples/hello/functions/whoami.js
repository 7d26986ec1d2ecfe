// GET /whoami → what the runtime tells a Function about the request:
// lower-cased headers (repeated ones as arrays) and parsed cookies.
exports.handler = (context, event, callback) => {
  const { headers, cookies } = event.request;
  return callback(null, {
    userAgent: headers['user-agent'] || null,
    acceptLanguage: headers['accept-language'] || null,
    cookies,
    path: context.PATH,
    domain: context.DOMAIN_NAME,
  });
};
