// How a typed number will be dialled, shown before the call: E.164 in the tenant's region. The
// server decides (libphonenumber); this is the common case for the regions the product targets,
// and says nothing rather than guessing for the others.

/** Country calling code and national trunk prefix of a region (ISO 3166 alpha-2). */
const regions: Record<string, { cc: string; trunk: string; nationalLength: readonly number[] }> = {
  JP: { cc: '81', trunk: '0', nationalLength: [9, 10] },
  US: { cc: '1', trunk: '1', nationalLength: [10] },
  CA: { cc: '1', trunk: '1', nationalLength: [10] },
  GB: { cc: '44', trunk: '0', nationalLength: [9, 10] },
  DE: { cc: '49', trunk: '0', nationalLength: [6, 7, 8, 9, 10, 11] },
  FR: { cc: '33', trunk: '0', nationalLength: [9] },
  AU: { cc: '61', trunk: '0', nationalLength: [9] },
  SG: { cc: '65', trunk: '', nationalLength: [8] },
  KR: { cc: '82', trunk: '0', nationalLength: [8, 9, 10] },
};

/**
 * `+<cc><national>` for a cleaned number (see cleanDialNumber), or null when it cannot be told
 * here (an unknown region, a short number such as 110, or an unusual length).
 */
export function previewE164(cleaned: string, region: string | null): string | null {
  if (cleaned.startsWith('+')) return cleaned;
  const rules = region ? regions[region.toUpperCase()] : undefined;
  if (!rules) return null;
  let national = cleaned;
  if (rules.trunk !== '' && national.startsWith(rules.trunk)) national = national.slice(rules.trunk.length);
  else if (rules.trunk === '0') return null;
  return rules.nationalLength.includes(national.length) ? `+${rules.cc}${national}` : null;
}
