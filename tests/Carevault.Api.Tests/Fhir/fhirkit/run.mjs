// Drives the Carevault FHIR API with fhir-kit-client (a client written elsewhere) and prints one JSON summary.
// Usage: CAREVAULT_FHIR_BASE=http://127.0.0.1:5000/fhir CAREVAULT_TOKEN=… node run.mjs
import { Client, CapabilityTool } from 'fhir-kit-client';

const client = new Client({ baseUrl: process.env.CAREVAULT_FHIR_BASE, bearerToken: process.env.CAREVAULT_TOKEN });
const out = {};
const status = (resource) => Client.httpFor(resource)?.response?.status;

const tool = new CapabilityTool(await client.capabilityStatement());
out.capabilities = {
  transaction: tool.serverCan('transaction'),
  historySystem: tool.serverCan('history-system'),
  patientPatch: tool.resourceCan('Patient', 'patch'),
  conditionalDelete: tool.capabilityContents({ resourceType: 'Patient', capabilityType: 'conditionalDelete' }),
};

const created = await client.create({
  resourceType: 'Patient',
  body: { resourceType: 'Patient', identifier: [{ system: 'urn:fhirkit', value: 'p-1' }], name: [{ family: 'Kitson', given: ['Ada'] }] },
});
out.create = { status: status(created), id: created.id, versionId: created.meta.versionId };

const read = await client.read({ resourceType: 'Patient', id: created.id });
out.read = { family: read.name[0].family };

const updated = await client.update({ resourceType: 'Patient', id: created.id, body: { ...read, active: true } });
out.update = { versionId: updated.meta.versionId, active: updated.active };

const patched = await client.patch({ resourceType: 'Patient', id: created.id, jsonPatch: [{ op: 'replace', path: '/name/0/family', value: 'Kitsune' }] });
out.patch = { versionId: patched.meta.versionId, family: patched.name[0].family };

const vread = await client.vread({ resourceType: 'Patient', id: created.id, version: '1' });
out.vread = { family: vread.name[0].family };

const conditional = await client.update({
  resourceType: 'Patient',
  searchParams: { identifier: 'urn:fhirkit|p-1' },
  body: { resourceType: 'Patient', identifier: [{ system: 'urn:fhirkit', value: 'p-1' }], name: [{ family: 'Kitsune' }], gender: 'female' },
});
out.conditionalUpdate = { id: conditional.id, versionId: conditional.meta.versionId };

const transaction = await client.transaction({
  body: {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: 'urn:uuid:2d5d7f0e-6c0b-4c43-8d4f-3f1a9b2c7e10',
        resource: { resourceType: 'Patient', identifier: [{ system: 'urn:fhirkit', value: 'p-1' }] },
        request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:fhirkit|p-1' },
      },
      ...[72, 75, 71].map((bpm) => ({
        resource: {
          resourceType: 'Observation', status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
          subject: { reference: 'urn:uuid:2d5d7f0e-6c0b-4c43-8d4f-3f1a9b2c7e10' },
          valueQuantity: { value: bpm, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
        },
        request: { method: 'POST', url: 'Observation' },
      })),
    ],
  },
});
out.transaction = {
  type: transaction.type,
  statuses: transaction.entry.map((e) => e.response.status),
  subjects: [...new Set(transaction.entry.slice(1).map((e) => e.resource.subject.reference))],
};

// Search, following next links with the client's own pagination helper.
let page = await client.search({ resourceType: 'Observation', searchParams: { subject: `Patient/${created.id}`, _count: '2', _sort: '-value-quantity' } });
const values = [];
let pages = 0;
while (page) {
  pages += 1;
  for (const entry of page.entry ?? []) values.push(entry.resource.valueQuantity.value);
  page = await client.nextPage({ bundle: page });
}
out.search = { pages, values };

const included = await client.search({ resourceType: 'Observation', searchParams: { 'subject:Patient.identifier': 'urn:fhirkit|p-1', _include: 'Observation:subject', _count: '10' } });
out.include = included.entry.map((e) => e.search.mode).sort();

const instanceHistory = await client.history({ resourceType: 'Patient', id: created.id });
out.history = {
  instance: instanceHistory.entry.map((e) => e.response.etag),
  type: (await client.history({ resourceType: 'Observation' })).entry.length,
  system: (await client.history()).entry.length,
};

await client.delete({ resourceType: 'Observation', id: transaction.entry[1].resource.id });
try {
  await client.read({ resourceType: 'Observation', id: transaction.entry[1].resource.id });
  out.afterDelete = 'still there';
} catch (error) {
  out.afterDelete = { status: error.response?.status, outcome: error.response?.data?.resourceType };
}

// Bulk Data $export: the kick-off through the client's operation helper, then its request helper polls the status URL.
const kickOff = await client.operation({
  name: '$export', method: 'GET', input: { _type: 'Patient' },
  options: { headers: { Prefer: 'respond-async', Accept: 'application/fhir+json' } },
});
const statusUrl = Client.httpFor(kickOff)?.response?.headers.get('content-location');
let manifest;
for (let i = 0; i < 600 && !manifest; i += 1) {
  const polled = await client.request(statusUrl);
  if (status(polled) === 200) manifest = polled;
  else await new Promise((resolve) => setTimeout(resolve, 100));
}
out.export = {
  kickOff: status(kickOff),
  outcome: kickOff.resourceType,
  requiresAccessToken: manifest?.requiresAccessToken,
  output: manifest?.output.map((o) => `${o.type}:${o.count}`),
};

console.log(JSON.stringify(out));
