/** Country names and ISO 3166-1 alpha-2 codes, built from the runtime's CLDR data (no I/O). */
let byName: Map<string, string> | undefined;

const EXTRA: Record<string, string> = {
  'democratic republic of the congo': 'CD',
  'congo democratic republic': 'CD',
  'republic of korea': 'KR',
  "democratic people's republic of korea": 'KP',
  'north korea': 'KP',
  'south korea': 'KR',
  'russian federation': 'RU',
  'syrian arab republic': 'SY',
  'iran (islamic republic of)': 'IR',
  'islamic republic of iran': 'IR',
  'united states of america': 'US',
  usa: 'US',
  uk: 'GB',
  'united kingdom of great britain and northern ireland': 'GB',
  'viet nam': 'VN',
  'lao people’s democratic republic': 'LA',
  "lao people's democratic republic": 'LA',
  'libyan arab jamahiriya': 'LY',
  'united republic of tanzania': 'TZ',
  'bolivia (plurinational state of)': 'BO',
  'venezuela (bolivarian republic of)': 'VE',
  'state of palestine': 'PS',
  burma: 'MM',
  'ivory coast': 'CI',
  "cote d'ivoire": 'CI',
  türkiye: 'TR',
  turkiye: 'TR',
};

function table(): Map<string, string> {
  if (byName) return byName;
  byName = new Map();
  const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      let name: string | undefined;
      try {
        name = names.of(code);
      } catch {
        name = undefined;
      }
      if (name && name !== code) byName.set(name.toLowerCase(), code);
    }
  }
  for (const [k, v] of Object.entries(EXTRA)) byName.set(k, v);
  return byName;
}

/** ISO alpha-2 code of a country name or code, or undefined. */
export function countryCode(value: string | undefined | null): string | undefined {
  if (!value) return undefined;
  const v = value.trim().replace(/\.$/, '');
  if (/^[A-Za-z]{2}$/.test(v)) {
    const code = v.toUpperCase();
    return [...table().values()].includes(code) ? code : undefined;
  }
  return table().get(v.toLowerCase());
}
