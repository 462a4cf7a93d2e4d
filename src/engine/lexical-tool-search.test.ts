import { describe, expect, it } from 'vitest';
import { searchTools, tokenize } from './lexical-tool-search.js';

const tools = [
  { name: 'send_email', description: 'Sends an email to a recipient.' },
  {
    name: 'get_weather',
    description: 'Current weather for a city.',
    parameters: { properties: { city: {} } },
  },
  { name: 'getWeatherForecast', description: 'Forecast for the next days.' },
  { name: 'list_files', description: 'Lists files in a folder.' },
  { name: 'lookup', namespace: 'crm', description: 'Finds a customer by email.' },
];

describe('searchTools', () => {
  it('finds tools by words of their names, best match first', () => {
    expect(searchTools('weather', tools, 5).map((tool) => tool.name)).toEqual([
      'get_weather',
      'getWeatherForecast',
    ]);
  });

  it('finds tools by description, parameter names and namespace', () => {
    expect(searchTools('city', tools, 5).map((tool) => tool.name)).toEqual(['get_weather']);
    expect(searchTools('crm', tools, 5).map((tool) => tool.name)).toEqual(['lookup']);
    expect(searchTools('forecasts', tools, 5).map((tool) => tool.name)).toEqual(['getWeatherForecast']);
  });

  it('returns nothing for words no tool has, and at most the limit', () => {
    expect(searchTools('database', tools, 5)).toEqual([]);
    expect(searchTools('', tools, 5)).toEqual([]);
    expect(searchTools('email weather', tools, 1)).toHaveLength(1);
  });

  it('splits snake_case, kebab-case and camelCase', () => {
    expect(tokenize('getWeather_forecast-now')).toEqual(['get', 'weather', 'forecast', 'now']);
  });
});
