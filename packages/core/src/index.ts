export { connectDatabase, type DatabaseOptions, pingDatabase } from "./database";
export {
  DomainError,
  type DomainErrorCode,
  type DomainErrorOptions,
  domainErrorCodes,
  type FieldIssue,
  isDatabaseUnavailable,
  toDomainError,
} from "./errors";
export { createHealthService, type HealthReport, type HealthService } from "./health";
export {
  createPasswordHasher,
  owaspArgon2id,
  type PasswordHasher,
  type PasswordHashingOptions,
} from "./passwords";
export { type UserDocument, userModel } from "./users/model";
export { createUserRepository, toUser, type UserRepository } from "./users/repository";
export { genders, objectIdSchema, roles, type User, userSchema } from "./users/schemas";
export { createUserService, type UserService } from "./users/service";
