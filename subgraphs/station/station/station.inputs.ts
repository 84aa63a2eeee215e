import {
  ArrayMaxSize,
  ArrayMinSize,
  IsOptional,
  IsPositive,
  IsUUID,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { Field, Float, ID, InputType } from 'type-graphql';
import { IsCountryCode, IsTimeZone, IsDisplayText } from '../../../platform/subgraph/validators.js';
import { ConnectorInput } from '../connector/connector.inputs.js';
import { ConnectorStandard } from '../connector/connector.entity.js';

export const MAX_CONNECTORS = 50;
export const MAX_RADIUS_KM = 500;

@InputType()
export class AddressInput {
  @Field(() => String)
  @Length(1, 200)
  @IsDisplayText()
  street!: string;

  @Field(() => String)
  @Length(1, 100)
  @IsDisplayText()
  city!: string;

  @Field(() => String)
  @Length(1, 20)
  @IsDisplayText()
  postalCode!: string;

  @Field(() => String, { description: 'ISO 3166-1 alpha-2, e.g. DE.' })
  @IsCountryCode()
  country!: string;
}

@InputType()
export class GeoPointInput {
  @Field(() => Float, { description: 'Decimal degrees, -90 to 90.' })
  @Min(-90)
  @Max(90)
  latitude!: number;

  @Field(() => Float, { description: 'Decimal degrees, -180 to 180.' })
  @Min(-180)
  @Max(180)
  longitude!: number;
}

@InputType()
export class CreateStationInput {
  @Field(() => ID)
  @IsUUID()
  operatorId!: string;

  @Field(() => String)
  @Length(1, 200)
  @IsDisplayText()
  name!: string;

  @Field(() => AddressInput)
  @ValidateNested()
  address!: AddressInput;

  @Field(() => GeoPointInput)
  @ValidateNested()
  location!: GeoPointInput;

  @Field(() => String, { description: 'IANA time zone, e.g. Europe/Berlin.' })
  @IsTimeZone()
  timezone!: string;

  @Field(() => ID, { description: 'A tariff of the same operator.' })
  @IsUUID()
  tariffId!: string;

  @Field(() => [ConnectorInput], { description: `1 to ${MAX_CONNECTORS} connectors.` })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_CONNECTORS)
  @ValidateNested()
  connectors!: ConnectorInput[];
}

@InputType({ description: 'Fields left out stay as they are.' })
export class UpdateStationInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200)
  @IsDisplayText()
  name?: string;

  @Field(() => AddressInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  address?: AddressInput;

  @Field(() => GeoPointInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  location?: GeoPointInput;

  @Field(() => String, { nullable: true, description: 'IANA time zone, e.g. Europe/Berlin.' })
  @IsOptional()
  @IsTimeZone()
  timezone?: string;

  @Field(() => ID, { nullable: true, description: 'A tariff of the same operator.' })
  @IsOptional()
  @IsUUID()
  tariffId?: string;
}

@InputType({ description: 'A circle on the map.' })
export class NearInput extends GeoPointInput {
  @Field(() => Float, { description: `Radius in km, above 0 and at most ${MAX_RADIUS_KM}.` })
  @IsPositive()
  @Max(MAX_RADIUS_KM)
  radiusKm!: number;
}

@InputType({ description: 'All given conditions must hold.' })
export class StationFilter {
  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  operatorId?: string;

  @Field(() => NearInput, { nullable: true, description: 'Only stations within this circle.' })
  @IsOptional()
  @ValidateNested()
  near?: NearInput;

  @Field(() => ConnectorStandard, { nullable: true, description: 'Only stations with a connector of this standard.' })
  @IsOptional()
  connectorStandard?: ConnectorStandard;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Only stations with a connector whose effective status is AVAILABLE (of `connectorStandard`, when given): ' +
      'not held by a session, its charge point (if any) connected.',
  })
  @IsOptional()
  availableOnly?: boolean;
}
