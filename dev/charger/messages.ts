/**
 * The parts of the OCPP 1.6-J and 2.0.1 payloads the simulator reads. ocpp-rpc validates every message against the
 * official schemas in strict mode, so these only describe what we use, not the whole PDUs.
 */

export type BootStatus = 'Accepted' | 'Pending' | 'Rejected';
export type BootNotificationResponse = {
  status: BootStatus;
  interval: number;
  currentTime: string;
};

/** 1.6 `AuthorizationStatus`; 2.0.1 `AuthorizationStatusEnumType` has more values (Unknown, NoCredit, …). */
export type AuthorizationStatus = string;

export type IdTagInfo16 = {
  status: AuthorizationStatus;
};
export type Authorize16Response = {
  idTagInfo: IdTagInfo16;
};
export type StartTransaction16Response = {
  idTagInfo: IdTagInfo16;
  transactionId: number;
};
export type RemoteStartTransaction16Request = {
  connectorId?: number;
  idTag: string;
};
export type RemoteStopTransaction16Request = {
  transactionId: number;
};
export type TriggerMessage16Request = {
  requestedMessage: string;
  connectorId?: number;
};
export type ChangeConfiguration16Request = {
  key: string;
  value: string;
};
export type GetConfiguration16Request = {
  key?: string[];
};

export type IdToken201 = {
  idToken: string;
  type: string;
};
export type Authorize201Response = {
  idTokenInfo: { status: AuthorizationStatus };
};
export type TransactionEvent201Response = {
  idTokenInfo?: { status: AuthorizationStatus };
};
export type RequestStartTransaction201Request = {
  evseId?: number;
  idToken: IdToken201;
  remoteStartId: number;
};
export type RequestStopTransaction201Request = {
  transactionId: string;
};
export type TriggerMessage201Request = {
  requestedMessage: string;
  evse?: { id: number; connectorId?: number };
};

/** Connector states as OCPP 1.6 names them; 2.0.1 reports Available / Occupied / … and the charging state apart. */
export type ConnectorStatus =
  'Available' | 'Preparing' | 'Charging' | 'SuspendedEV' | 'SuspendedEVSE' | 'Finishing' | 'Unavailable' | 'Faulted';

/** 2.0.1 `ConnectorStatusEnumType` for a 1.6 state. */
export function connectorStatus201(status: ConnectorStatus): 'Available' | 'Occupied' | 'Unavailable' | 'Faulted' {
  if (status === 'Available' || status === 'Unavailable' || status === 'Faulted') return status;
  return 'Occupied';
}

/** Why a transaction ended, in 1.6 words (2.0.1's `ReasonEnumType` spells them the same for the ones we use). */
/** PowerLoss: a transaction a restarted charger found open in its memory. */
export type StopReason = 'Remote' | 'EVDisconnected' | 'Local' | 'DeAuthorized' | 'PowerLoss';

/** 2.0.1 `TriggerReasonEnumType` for the end of a transaction. */
export function endTrigger201(reason: StopReason): string {
  switch (reason) {
    case 'Remote':
      return 'RemoteStop';
    case 'EVDisconnected':
      return 'EVCommunicationLost';
    case 'DeAuthorized':
      return 'Deauthorized';
    case 'Local':
      return 'StopAuthorized';
    case 'PowerLoss':
      return 'AbnormalCondition';
  }
}
