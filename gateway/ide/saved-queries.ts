/**
 * Example queries shipped with the IDE (the "Examples" panel). Analytics authors: edit this list freely — it is read
 * by the gateway when it starts (no rebuild of the IDE assets needed). Each entry opens in its own tab.
 *
 * Analytics periods are local calendar dates [from, to): every session and payment counts on the date its station's
 * clock showed (the station's own time zone), so "October" is October everywhere. See platform/subgraph/analytics/README.md.
 */
/** How the IDE's result view draws a saved query's answer (it finds a chart by itself without one). */
export interface ChartHint {
  /** The value to draw, as a path inside a list item, e.g. `gross.amount`, `energyKwh`, `utilisation.ratio`. */
  measure: string;
  /** Default: a line for bucketed series (`bucket` dates), bars for rankings. */
  kind?: 'line' | 'bar';
}

export interface SavedQuery {
  /** Stable identifier (used in the page, e.g. `data-example="revenue-per-operator"`). */
  id: string;
  title: string;
  /** One or two sentences for analysts: what it answers and which variables to adjust. */
  description: string;
  /** The GraphQL document. */
  query: string;
  /** Variables shown in the variables editor. */
  variables?: Record<string, unknown>;
  /** The chart the answer opens with. */
  chart?: ChartHint;
}

/** October 2026 (`to` is excluded). */
const lastMonth = { period: { from: '2026-10-01', to: '2026-11-01' } };

export const savedQueries: SavedQuery[] = [
  {
    id: 'station-catalogue',
    title: 'Station catalogue',
    description:
      'The first stations of the public catalogue with their operator and tariff. Start here to find station and operator ids.',
    query: `query StationCatalogue {
  stations(first: 5) {
    edges {
      node {
        id
        name
        operator {
          id
          name
        }
        tariff {
          id
          currency
          energyPricePerKwh
        }
      }
    }
  }
}
`,
  },
  {
    id: 'revenue-per-operator',
    title: 'Revenue per operator',
    description:
      'Gross revenue, application fees, refunds and net of every operator over a period, one row per currency (amounts in minor units: cents, yen). Adjust the period.',
    query: `query RevenuePerOperator($period: AnalyticsPeriod!) {
  operators(first: 50) {
    edges {
      node {
        id
        name
        revenueReport(period: $period) {
          currency
          gross {
            amount
            currency
          }
          applicationFees {
            amount
          }
          refunded {
            amount
          }
          net {
            amount
          }
          paymentCount
        }
      }
    }
  }
}
`,
    variables: lastMonth,
    chart: { measure: 'net.amount' },
  },
  {
    id: 'revenue-by-day',
    title: 'Revenue of one operator by day',
    description:
      "One operator's revenue per local day (or WEEK, MONTH) and currency. Set operatorId (see the revenue per operator) and the bucket.",
    query: `query RevenueByDay($operatorId: ID!, $period: AnalyticsPeriod!, $bucket: AnalyticsBucket = DAY) {
  operator(id: $operatorId) {
    id
    name
    revenueReport(period: $period, bucket: $bucket) {
      bucket
      currency
      gross {
        amount
        currency
      }
      applicationFees {
        amount
      }
      net {
        amount
      }
      paymentCount
    }
  }
}
`,
    variables: { operatorId: 'OPERATOR_ID', ...lastMonth, bucket: 'DAY' },
    chart: { measure: 'gross.amount' },
  },
  {
    id: 'energy-per-station',
    title: 'Energy per station',
    description: 'Completed sessions, energy delivered, average energy and duration per station over a period.',
    query: `query EnergyPerStation($period: AnalyticsPeriod!) {
  stations(first: 20) {
    edges {
      node {
        id
        name
        timezone
        energy(period: $period) {
          sessionCount
          energyKwh
          averageEnergyKwh
          averageDurationMinutes
        }
      }
    }
  }
}
`,
    variables: lastMonth,
    chart: { measure: 'energyKwh' },
  },
  {
    id: 'energy-per-operator',
    title: 'Energy per operator by week',
    description:
      'Completed sessions and energy of every operator per ISO week (weeks start on Monday, local time). Try DAY or MONTH.',
    query: `query EnergyPerOperator($period: AnalyticsPeriod!, $bucket: AnalyticsBucket = WEEK) {
  operators(first: 50) {
    edges {
      node {
        id
        name
        energy(period: $period, bucket: $bucket) {
          bucket
          sessionCount
          energyKwh
          averageDurationMinutes
        }
      }
    }
  }
}
`,
    variables: { ...lastMonth, bucket: 'WEEK' },
    chart: { measure: 'energyKwh' },
  },
  {
    id: 'utilisation',
    title: 'Utilisation',
    description:
      "Charging hours divided by available connector-hours per station over a period, in each station's time zone.",
    query: `query StationUtilisation($period: AnalyticsPeriod!) {
  stations(first: 20) {
    edges {
      node {
        id
        name
        timezone
        connectorCount
        utilisation(period: $period) {
          chargingHours
          availableHours
          ratio
        }
      }
    }
  }
}
`,
    variables: lastMonth,
    chart: { measure: 'node.utilisation.ratio' },
  },
  {
    id: 'payment-success',
    title: 'Payment success',
    description:
      "How every operator's payment attempts ended over a period: succeeded, declined, refunded, and the rates.",
    query: `query PaymentSuccess($period: AnalyticsPeriod!) {
  operators(first: 50) {
    edges {
      node {
        id
        name
        paymentStats(period: $period) {
          attempts
          succeeded
          declined
          refunded
          successRate
          declineRate
          refundRate
        }
      }
    }
  }
}
`,
    variables: lastMonth,
    chart: { measure: 'node.paymentStats.successRate' },
  },
];
