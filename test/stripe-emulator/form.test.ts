import { describe, expect, it } from 'vitest';
import { decodeForm, FormDecodeError } from '../../dev/stripe-emulator/http/form.js';

describe('decodeForm', () => {
  it('builds nested objects from bracketed keys', () => {
    expect(decodeForm('amount=100&metadata[a]=1&metadata[b]=2&card[billing][address][city]=Berlin')).toEqual({
      amount: '100',
      metadata: { a: '1', b: '2' },
      card: { billing: { address: { city: 'Berlin' } } },
    });
  });

  it('builds arrays from indexed and appended keys', () => {
    expect(decodeForm('expand[0]=a&expand[1]=b')).toEqual({ expand: ['a', 'b'] });
    expect(decodeForm('expand[]=a&expand[]=b')).toEqual({ expand: ['a', 'b'] });
    expect(decodeForm('items[1][price]=p2&items[0][price]=p1')).toEqual({ items: [{ price: 'p1' }, { price: 'p2' }] });
  });

  it('decodes percent-escapes and plus signs, and keeps empty values (Stripe’s "unset")', () => {
    expect(decodeForm('email=a%2Bb%40x.test&name=Ada+Lovelace&description=&metadata[k]=')).toEqual({
      email: 'a+b@x.test',
      name: 'Ada Lovelace',
      description: '',
      metadata: { k: '' },
    });
    expect(decodeForm('a%5Bb%5D=1')).toEqual({ a: { b: '1' } });
  });

  it('ignores empty input and rejects broken escapes', () => {
    expect(decodeForm('')).toEqual({});
    expect(decodeForm('&&')).toEqual({});
    expect(() => decodeForm('a=%E0%A4%A')).toThrow(FormDecodeError);
  });
});
