// Seat maps: what POST /api/events accepts, and the normalized layout stored with the event.
import { Type } from '@sinclair/typebox'
import { validationError } from '../errors.js'

const Name = (pattern: string, maxLength: number) => Type.String({ minLength: 1, maxLength, pattern })
const SECTION = '^[A-Za-z0-9_]+$'
const ROW = '^[A-Za-z0-9]+$'
const LABEL = '^[A-Za-z0-9]+$'

/** Largest seat map one event may have (seat-lock seat ids stay small; the page stays usable). */
export const MAX_SEATS = 20_000

/** The explicit form: sections → rows → seat labels. Seat ids are `<section>:<row>-<label>`. */
export const SectionsSeatMap = Type.Object(
  {
    sections: Type.Array(
      Type.Object(
        {
          name: Name(SECTION, 20),
          rows: Type.Array(
            Type.Object(
              {
                name: Name(ROW, 8),
                seats: Type.Array(Name(LABEL, 8), { minItems: 1, maxItems: 500 }),
              },
              { additionalProperties: false },
            ),
            { minItems: 1, maxItems: 200 },
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
  },
  { additionalProperties: false, description: 'sections → rows → seat labels' },
)

/** The compact form: rows A–Z × seats 1–40. Seat ids are `<row>-<number>` (e.g. `C-12`). */
export const CompactSeatMap = Type.Object(
  {
    rows: Type.Object(
      { from: Type.String({ pattern: '^[A-Z]$' }), to: Type.String({ pattern: '^[A-Z]$' }) },
      { additionalProperties: false },
    ),
    seats: Type.Object(
      { from: Type.Integer({ minimum: 1, maximum: 999 }), to: Type.Integer({ minimum: 1, maximum: 999 }) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: 'rows A–Z × seats 1–40: {rows:{from,to}, seats:{from,to}}' },
)

export const SeatMapInput = Type.Union([SectionsSeatMap, CompactSeatMap])
export type SeatMapInput = typeof SeatMapInput.static

/** One seat of the normalized layout. `id` is what holds name (seat-lock's seat id). */
export interface SeatRef {
  id: string
  label: string
}

/** The normalized layout, stored with the event and sent to the page. Immutable once created. */
export interface Layout {
  sections: Array<{ name: string | null; rows: Array<{ name: string; seats: SeatRef[] }> }>
}

const letters = (from: string, to: string) => {
  const out: string[] = []
  for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c++) out.push(String.fromCharCode(c))
  return out
}

/** Expands either input form into a Layout; rejects empty ranges, duplicates and oversize maps. */
export function expandSeatMap(input: SeatMapInput): Layout {
  let layout: Layout
  if ('sections' in input) {
    layout = {
      sections: input.sections.map((s) => ({
        name: s.name,
        rows: s.rows.map((r) => ({
          name: r.name,
          seats: r.seats.map((label) => ({ id: `${s.name}:${r.name}-${label}`, label })),
        })),
      })),
    }
  } else {
    if (input.rows.from > input.rows.to) throw validationError('seatMap.rows', 'from must not be after to')
    if (input.seats.from > input.seats.to) throw validationError('seatMap.seats', 'from must be <= to')
    const numbers: string[] = []
    for (let n = input.seats.from; n <= input.seats.to; n++) numbers.push(String(n))
    layout = {
      sections: [
        {
          name: null,
          rows: letters(input.rows.from, input.rows.to).map((row) => ({
            name: row,
            seats: numbers.map((label) => ({ id: `${row}-${label}`, label })),
          })),
        },
      ],
    }
  }
  const ids = seatIds(layout)
  if (ids.length > MAX_SEATS)
    throw validationError('seatMap', `at most ${MAX_SEATS} seats (got ${ids.length})`)
  const seen = new Set<string>()
  for (const id of ids) {
    if (seen.has(id)) throw validationError('seatMap', `seat ${id} appears twice`)
    seen.add(id)
  }
  return layout
}

export function seatIds(layout: Layout): string[] {
  return layout.sections.flatMap((s) => s.rows.flatMap((r) => r.seats.map((seat) => seat.id)))
}
