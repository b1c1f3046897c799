import { DomainError } from "../errors";
import type { UserRepository } from "./repository";
import type { User } from "./schemas";

export type UserService = {
  /** The user with this id, active or not; USER_NOT_FOUND otherwise. */
  getUserById(id: string): Promise<User>;
};

export function createUserService(deps: { users: UserRepository }): UserService {
  return {
    async getUserById(id) {
      const user = await deps.users.findById(id);
      if (!user) throw new DomainError("USER_NOT_FOUND", `No user has the id ${id}.`);
      return user;
    },
  };
}
