import { Field, Float, Int, ObjectType } from 'type-graphql';
import { LocalDate } from '../../../platform/subgraph/analytics/period.js';

@ObjectType('EnergyStats', {
  description:
    'Completed charging sessions that started in a period (or bucket), on the local date at their station: how many, the energy ' +
    'delivered and the averages.',
})
export class EnergyStats {
  @Field(() => LocalDate, { nullable: true, description: 'First local date of the bucket; null for the whole period.' })
  bucket!: string | null;

  @Field(() => Int)
  sessionCount!: number;

  @Field(() => Float, { description: 'Energy delivered, kWh (exact to the Wh).' })
  energyKwh!: number;

  @Field(() => Float, { nullable: true, description: 'energyKwh / sessionCount; null without sessions.' })
  averageEnergyKwh!: number | null;

  @Field(() => Float, { nullable: true, description: 'Mean time from start to stop, minutes; null without sessions.' })
  averageDurationMinutes!: number | null;
}

@ObjectType('Utilisation', {
  description:
    "How busy a station's connectors were: hours with a session on them (any outcome, running ones up to now) over the " +
    "connector-hours of the period that have passed, in the station's time zone.",
})
export class Utilisation {
  @Field(() => Float, { description: 'Sum over sessions of their time inside the period, hours.' })
  chargingHours!: number;

  @Field(() => Float, {
    description: 'connectorCount × hours of the period up to now (a DST change makes a day 23 or 25 hours).',
  })
  availableHours!: number;

  @Field(() => Float, {
    nullable: true,
    description: 'chargingHours / availableHours, 0 to 1; null when no hour of the period has passed.',
  })
  ratio!: number | null;

  @Field(() => Int, { description: "The station's connectors (as they are now: connectors keep no history)." })
  connectorCount!: number;

  @Field(() => String, { description: "The IANA time zone the period was read in: the station's." })
  timeZone!: string;
}
