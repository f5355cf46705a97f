// Microsoft Entra ID (Azure AD) claims -> a Kratos identity for Podium.
//
// traits.email: `email`, or `preferred_username` (the UPN) when Entra sends no email.
// metadata_public.roles: the Entra *app roles* assigned to the person (the id token's `roles`
//   claim). Create app roles whose values are Podium's role names (ADMIN, METADATA_MANAGER,
//   WORKFLOW_MANAGER, USER, READ_ONLY_USER, ...); values that are not Podium roles are ignored.
// metadata_public.groups: the Entra group object ids (the `groups` claim, present when the app
//   registration's "groups claim" is configured).
// Roles and groups go to metadata_public, which the person cannot edit (traits they can).
local claims = std.extVar('claims');
local raw = if 'raw_claims' in claims && claims.raw_claims != null then claims.raw_claims else {};
local has(name) = name in claims && claims[name] != null && claims[name] != '';
local strings(name) =
  if name in raw && std.isArray(raw[name]) then [v for v in raw[name] if std.isString(v)] else [];

{
  identity: {
    traits: {
      email:
        if has('email') then claims.email
        else if has('preferred_username') then claims.preferred_username
        else error 'Entra sent neither email nor preferred_username',
      [if has('name') then 'name']: claims.name,
    },
    metadata_public: {
      roles: strings('roles'),
      groups: strings('groups'),
    },
  },
}
