/**
 * Organisation names are translated, not transliterated, in most Latin lists: الجهاد الإسلامي
 * المصري is listed as "Egyptian Islamic Jihad", القاعدة في العراق as "Al-Qaida in Iraq". This is
 * a small general glossary of the words such names are made of (organisation types, common
 * adjectives, prepositions, country and regional names and their nisba adjectives), used to
 * build a second, translated form of an Arabic-script query; the matcher keeps whichever form
 * scores better. Personal names are left alone: the glossary applies only to names that carry an
 * organisation word, so a person called al-Masri is not turned into "the Egyptian".
 */

/** Organisation words: their presence marks a name as an organisation's. */
const ORGANISATION: Record<string, string> = {
  جماعه: 'group',
  حركه: 'movement',
  جبهه: 'front',
  منظمه: 'organization',
  تنظيم: 'organization',
  مؤسسه: 'foundation',
  جمعيه: 'society',
  هيئه: 'authority',
  مكتب: 'office',
  شركه: 'company',
  بنك: 'bank',
  مصرف: 'bank',
  صرافه: 'exchange',
  مجلس: 'council',
  لجنه: 'committee',
  جيش: 'army',
  كتائب: 'brigades',
  لواء: 'brigade',
  دوله: 'state',
  اماره: 'emirate',
  حزب: 'party',
  اتحاد: 'union',
  مركز: 'center',
  مجموعه: 'group',
  قاعده: 'al qaida',
  ولايه: 'province',
  عصبه: 'league',
  لمتد: 'ltd',
  ليمتد: 'ltd',
  ليميتد: 'ltd',
  لميتد: 'ltd',
};

/** Other words, translated only inside an organisation's name. */
const WORDS: Record<string, string> = {
  اسلامي: 'islamic',
  اسلاميه: 'islamic',
  اسلام: 'islam',
  في: 'in',
  من: 'of',
  مقاتله: 'fighting',
  مقاتل: 'fighting',
  تحرير: 'liberation',
  وطني: 'national',
  وطنيه: 'national',
  دولي: 'international',
  دوليه: 'international',
  خيري: 'charitable',
  خيريه: 'charitable',
  اغاثه: 'relief',
  احياء: 'revival',
  تراث: 'heritage',
  شهداء: 'martyrs',
  عربي: 'arab',
  عربيه: 'arabian',
  عرب: 'arabian',
  جزيره: 'peninsula',
  شرق: 'east',
  غرب: 'west',
  شمال: 'north',
  جنوب: 'south',
  افريقيا: 'africa',
  عراق: 'iraq',
  عراقي: 'iraqi',
  ليبيا: 'libya',
  ليبي: 'libyan',
  ليبيه: 'libyan',
  مصر: 'egypt',
  مصري: 'egyptian',
  مصريه: 'egyptian',
  سوريا: 'syria',
  سوري: 'syrian',
  سوريه: 'syrian',
  يمن: 'yemen',
  يمني: 'yemeni',
  صومال: 'somalia',
  صومالي: 'somali',
  افغانستان: 'afghanistan',
  باكستان: 'pakistan',
  لبنان: 'lebanon',
  لبناني: 'lebanese',
  فلسطين: 'palestine',
  فلسطيني: 'palestinian',
  مغرب: 'maghreb',
  اسلاميين: 'islamists',
  شام: 'levant',
  عالمي: 'international',
  عالميه: 'international',
  تجاري: 'trading',
  تجاريه: 'trading',
  تجاره: 'trading',
  صناعات: 'industries',
  استثمار: 'investment',
  عام: 'general',
  عامه: 'general',
  متحده: 'united',
  شعبي: 'popular',
  شعبيه: 'popular',
  ثوري: 'revolutionary',
  ثوريه: 'revolutionary',
  مقاومه: 'resistance',
  نفط: 'oil',
  طيران: 'airlines',
  شحن: 'shipping',
  خدمات: 'services',
};

/** One spelling per letter: hamza carriers, alif maqsura, ta marbuta, Persian forms; no marks. */
function fold(w: string): string {
  return w
    .replace(/[\u064B-\u065F\u0670\u0640]/g, '')
    .replace(/[أإآٱ]/g, 'ا')
    .replace(/ة/g, 'ه')
    .replace(/[ىی]/g, 'ي')
    .replace(/ک/g, 'ك');
}

/** A glossary word, after a leading "and" (و) and article (ال، لل، بال): "والشام" is "and levant". */
function lookup(word: string): { english: string; organisation: boolean } | undefined {
  const w = fold(word);
  for (const [stem, and] of [
    [w, ''],
    [w.replace(/^و(?=..)/, ''), 'and '],
  ] as const) {
    for (const bare of [stem, stem.replace(/^(?:ال|لل|بال)(?=..)/, '')]) {
      if (ORGANISATION[bare]) return { english: and + ORGANISATION[bare], organisation: true };
      if (WORDS[bare]) return { english: and + WORDS[bare], organisation: false };
    }
  }
  return undefined;
}

/**
 * The query with its Arabic-script glossary words in English, or undefined when it does not read
 * as an organisation's name (an organisation word, or two other glossary words).
 */
export function translateOrganisationWords(raw: string): string | undefined {
  const parts = raw.normalize('NFKC').split(/(\s+)/);
  let organisation = false;
  let words = 0;
  const out = parts.map((p) => {
    const hit = /\S/.test(p) ? lookup(p) : undefined;
    if (!hit) return p;
    organisation ||= hit.organisation;
    words++;
    return hit.english;
  });
  return organisation || words >= 2 ? out.join('') : undefined;
}
