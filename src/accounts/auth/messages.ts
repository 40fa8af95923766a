/**
 * The mail Safegate sends about accounts, as plain text. Links carry one-time
 * tokens; nothing here is logged.
 */
import type { MailMessage } from '../mailer/types.js';

export function verifyEmailMessage(to: string, url: string): MailMessage {
  return {
    kind: 'verify-email',
    to,
    subject: 'Confirm your email address',
    text: [
      'Someone (hopefully you) created an account with this email address.',
      '',
      'To confirm the address, open this link within 24 hours:',
      '',
      url,
      '',
      'If you did not create an account, ignore this message; nothing happens without the link.',
    ].join('\n'),
  };
}

export function resetPasswordMessage(to: string, options: { url: string | null; token: string; apiUrl: string }): MailMessage {
  const lines = ['A password reset was requested for the account with this email address.', ''];
  if (options.url) {
    lines.push('To choose a new password, open this link within one hour:', '', options.url, '');
  } else {
    lines.push(
      'To choose a new password within one hour, send the new password with this reset code:',
      '',
      `  reset code: ${options.token}`,
      '',
      `  POST ${options.apiUrl}`,
      '  {"token": "<reset code>", "newPassword": "<new password>"}',
      '',
    );
  }
  lines.push('If you did not ask for this, ignore this message: your password stays as it is.');
  return { kind: 'reset-password', to, subject: 'Reset your password', text: lines.join('\n') };
}

export function existingAccountMessage(to: string, signInUrl: string): MailMessage {
  return {
    kind: 'existing-account',
    to,
    subject: 'Someone tried to sign up with your email address',
    text: [
      'Someone tried to create an account with this email address, which already has one.',
      '',
      `If it was you, sign in instead (${signInUrl}), or reset your password if you forgot it.`,
      'If it was not you, you need not do anything: no account was created and yours is unchanged.',
    ].join('\n'),
  };
}
