// Messaging and e-mail: Twilio, SendGrid, Mailgun, Mailchimp, Brevo, Telegram, Discord, Teams,
// Mattermost, MessageBird, Sendbird, Postmark, Intercom.
// The records are data: ./data/messaging.json, each entry one shorthand of ./define.ts and its spec.
import data from "./data/messaging.json" with { type: "json" };
import { fromData } from "./define.js";

export default fromData(data);
