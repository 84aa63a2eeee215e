import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: "A single-use link to the payment provider's onboarding for an operator." })
export class OnboardingLink {
  @Field(() => String)
  url!: string;

  @Field(() => Date)
  expiresAt!: Date;
}
