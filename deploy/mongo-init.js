// Runs once, when the MongoDB volume is first initialised: one user per service, each owning
// only its own database (DESIGN.md: a service never reads another service's database).
const services = ["scheduling", "enrollment", "printing", "notifications", "dashboard"];
for (const service of services) {
  const password = process.env[`MONGO_${service.toUpperCase()}_PASSWORD`];
  if (!password) throw new Error(`MONGO_${service.toUpperCase()}_PASSWORD is not set`);
  const database = db.getSiblingDB(`jemput_${service}`);
  database.createUser({ user: service, pwd: password, roles: [{ role: "readWrite", db: `jemput_${service}` }] });
}
