/** The seed's add_friend, with optimistic (CAS) and with pessimistic (lock/unlock) locking. */
import { Couchbase, KeyExistsError, TemporaryFailError } from '../src/index.js';
import { isMain, runStandalone, type Target } from './support/target.js';

type User = { friends: Record<string, { added: number }> };

export async function locking(target: Target): Promise<void> {
  const c = await Couchbase.connect(target.bucket('default'));
  try {
    await c.set('user_id-mark', { friends: {} });

    async function addFriendOptimistic(userId: string, friend: string): Promise<void> {
      for (;;) {
        const result = await c.get(`user_id-${userId}`);
        const user = result.value as User;
        user.friends[friend] = { added: Date.now() };
        try {
          await c.set(`user_id-${userId}`, user, { cas: result.cas });
          return;
        } catch (e) {
          if (!(e instanceof KeyExistsError)) throw e;
          console.log('It seems someone tried to modify our user at the same time!');
          console.log('Trying again');
        }
      }
    }

    async function addFriendPessimistic(userId: string, friend: string): Promise<void> {
      let result;
      for (;;) {
        try {
          result = await c.lock(`user_id-${userId}`, { ttl: 5 });
          break;
        } catch (e) {
          if (!(e instanceof TemporaryFailError)) throw e;
        }
      }
      try {
        const user = result.value as User;
        user.friends[friend] = { added: Date.now() };
        await c.set(`user_id-${userId}`, user, { cas: result.cas });
      } catch (e) {
        await c.unlock(result.key, result.cas);
        throw e;
      }
    }

    // Two concurrent optimistic updates: one of them meets a CAS mismatch and retries.
    await Promise.all([addFriendOptimistic('mark', 'anna'), addFriendOptimistic('mark', 'bob')]);
    await addFriendPessimistic('mark', 'carol');
    const friends = Object.keys(((await c.get('user_id-mark')).value as User).friends).sort();
    console.log('friends of mark:', friends.join(', '));

    const locked = await c.lock('user_id-mark', { ttl: 5 });
    try {
      await c.set('user_id-mark', { friends: {} });
    } catch (e) {
      if (!(e instanceof TemporaryFailError)) throw e;
      console.log('A locked key refuses writes without its CAS:', e.name);
    }
    await c.unlock('user_id-mark', locked.cas);
    console.log('unlocked; a plain set works again:', (await c.set('user_id-mark', { friends: {} })).success);
  } finally {
    await c.close();
  }
}

if (isMain(import.meta.url)) await runStandalone(locking);
