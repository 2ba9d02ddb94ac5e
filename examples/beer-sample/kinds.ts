/**
 * The two document types the app manages, and the fields their forms edit. Fields not listed
 * here (type, updated, geo, ...) are kept as stored when a form is saved.
 */
export interface FieldSpec {
  /** Name in the document; in the form it is prefixed with the type, as in the guide: `beer_name`. */
  name: string;
  label: string;
  placeholder: string;
  /** `lines` is a string array edited one item per line (a brewery's address). */
  input: 'text' | 'number' | 'textarea' | 'lines';
  required?: boolean;
  /** Longest accepted text, in characters. */
  maxLength: number;
  /** Numbers: the largest accepted value (the smallest is 0). */
  max?: number;
  integer?: boolean;
}

export interface FieldGroup {
  title: string;
  fields: FieldSpec[];
}

export interface Kind {
  type: 'beer' | 'brewery';
  /** The first path segment of its pages: `/beers/show/<id>`. */
  path: 'beers' | 'breweries';
  title: string;
  groups: FieldGroup[];
}

const text = (name: string, label: string, placeholder: string, maxLength = 200): FieldSpec =>
  ({ name, label, placeholder, input: 'text', maxLength });
const number = (name: string, label: string, placeholder: string, max: number, integer = false): FieldSpec =>
  ({ name, label, placeholder, input: 'number', maxLength: 20, max, integer });

export const beerKind: Kind = {
  type: 'beer',
  path: 'beers',
  title: 'Beer',
  groups: [
    {
      title: 'General Info',
      fields: [
        { ...text('name', 'Name', 'The name of the beer.', 100), required: true },
        { name: 'description', label: 'Description', placeholder: 'A short description.', input: 'textarea', maxLength: 10_000 },
        text('style', 'Style', 'Bitter? Sweet? Hoppy?'),
        text('category', 'Category', 'Ale? Stout? Lager?'),
      ],
    },
    {
      title: 'Details',
      fields: [
        number('abv', 'Alcohol (ABV)', "The beer's ABV", 100),
        number('ibu', 'Bitterness (IBU)', "The beer's IBU", 1000),
        number('srm', 'Beer Color (SRM)', "The beer's SRM", 1000),
        number('upc', 'Universal Product Code (UPC)', "The beer's UPC", Number.MAX_SAFE_INTEGER, true),
      ],
    },
    {
      title: 'Brewery',
      fields: [{ ...text('brewery_id', 'Brewery', 'The brewery', 250), required: true }],
    },
  ],
};

export const breweryKind: Kind = {
  type: 'brewery',
  path: 'breweries',
  title: 'Brewery',
  groups: [
    {
      title: 'General Info',
      fields: [
        { ...text('name', 'Name', 'The name of the brewery.', 100), required: true },
        { name: 'description', label: 'Description', placeholder: 'A short description.', input: 'textarea', maxLength: 10_000 },
      ],
    },
    {
      title: 'Location',
      fields: [
        { name: 'address', label: 'Address', placeholder: 'One line per line of the address.', input: 'lines', maxLength: 500 },
        text('city', 'City', 'City'),
        text('state', 'State', 'State or region'),
        text('code', 'Postal code', 'Postal code', 20),
        text('country', 'Country', 'Country'),
      ],
    },
    {
      title: 'Contact',
      fields: [text('phone', 'Phone', 'Phone number', 50), text('website', 'Website', 'http://...', 500)],
    },
  ],
};

export function fieldsOf(kind: Kind): FieldSpec[] {
  return kind.groups.flatMap((g) => g.fields);
}
