import { storeClaims } from '../../src/sales/idempotency.js'
import type { SalesStore } from '../../src/sales/ports.js'
import type { ClaimsUnderTest } from './key-claims.js'

/** A store's own key records under the claims contract: an answer arrives with an event it creates. */
export function storeKeyClaims(store: SalesStore): ClaimsUnderTest {
  return {
    claims: storeClaims(store.keys),
    async answer(ref, response) {
      await store.createEvent(
        { eventName: 'keyed', totalSeats: 1, eventDate: '2024-12-31T19:00:00' },
        { ref, answer: () => response },
      )
    },
  }
}
