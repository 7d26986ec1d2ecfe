// A TwiML reply, what most voice webhooks answer with.
exports.handler = (context, event, callback) => {
  const twiml = new Twilio.twiml.VoiceResponse();
  twiml.say({ voice: 'alice' }, 'Hello from the benchmark. Goodbye!');
  callback(null, twiml);
};
